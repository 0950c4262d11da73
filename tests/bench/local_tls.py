"""TLS for the bench's cold starts: a throwaway CA, a certificate for 127.0.0.1, and a CA bundle.

In Lambda both ingress handlers reach SQS over HTTPS, so a cold start loads a CA bundle (~140
roots) and makes a TLS handshake before its first SendMessage. Part B's cold samples do the same
against sqs_endpoint.py in its TLS mode: the bundle is certifi's roots plus this CA, and each handler finds
it where it looks in Lambda (SSL_CERT_FILE for OpenSSL's default paths, which ours loads;
AWS_CA_BUNDLE for botocore).
"""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

import certifi
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def write_tls_files(folder: Path) -> tuple[Path, Path, Path]:
    """(certificate, key, CA bundle) for a server on 127.0.0.1, written into folder."""
    now = datetime.datetime.now(datetime.UTC)
    valid = {"not_valid_before": now - datetime.timedelta(minutes=5), "not_valid_after": now + datetime.timedelta(days=1)}
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_public = ca_key.public_key()
    # A strict verifier (Python 3.13's default context sets VERIFY_X509_STRICT) wants a proper CA:
    # critical basic constraints, key usage, and the key identifiers.
    ca = (x509.CertificateBuilder().subject_name(_name("ladderline bench CA")).issuer_name(_name("ladderline bench CA"))
          .public_key(ca_public).serial_number(x509.random_serial_number())
          .not_valid_before(valid["not_valid_before"]).not_valid_after(valid["not_valid_after"])
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_public), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(valid["not_valid_before"]).not_valid_after(valid["not_valid_after"])
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_public), critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_path, key_path, bundle_path = folder / "server.pem", folder / "server.key", folder / "ca-bundle.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    bundle_path.write_bytes(Path(certifi.where()).read_bytes() + b"\n" + ca.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path, bundle_path


def certificates_in(bundle: Path) -> int:
    return bundle.read_text().count("-----BEGIN CERTIFICATE-----")
