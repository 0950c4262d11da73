"""Where replays are kept: one S3 object per file, named by its content hash (so two uploads of
one file are one object, and a retried job writes the same bytes to the same key). boto3 is
imported here only, in the replay job: the worker's other jobs never load the S3 client."""

from __future__ import annotations

import hashlib
from typing import Any

LINK_SECONDS = 15 * 60  # staff's download link (/admin match): short-lived


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def key_for(digest: str) -> str:
    return f"replays/{digest[:2]}/{digest}.SC2Replay"


class ReplayStore:
    def __init__(self, bucket: str, client: Any = None) -> None:
        if not bucket:
            raise ValueError("no replay bucket configured (REPLAY_BUCKET)")
        self.bucket = bucket
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            # SigV4 for presigned links (the legacy signature is refused in newer regions).
            self._client = boto3.client("s3", config=Config(signature_version="s3v4"))
        return self._client

    def put(self, data: bytes, digest: str, *, match_id: int, uploader: str) -> str:
        key = key_for(digest)
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType="application/octet-stream",
                               Metadata={"match-id": str(match_id), "uploader": uploader})
        return key

    def link(self, key: str, seconds: int = LINK_SECONDS) -> str:
        return str(self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key,
                                  "ResponseContentDisposition": f'attachment; filename="{key.rsplit("/", 1)[-1]}"'},
            ExpiresIn=seconds))
