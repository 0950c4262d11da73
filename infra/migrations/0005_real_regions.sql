-- 0005: the real residential regions (16 codes) replace the placeholder ones (10 codes).
-- Forward-only: each old code moves to the new region that covers most of it; a player who lives
-- elsewhere in the old region corrects it with /setup. Codes already new are left alone, so
-- running this on a database that never had the old codes changes nothing.
UPDATE players SET region = CASE region
        WHEN 'NA' THEN 'NAC'
        WHEN 'SA' THEN 'SAM'
        WHEN 'EU' THEN 'EUW'
        WHEN 'CIS' THEN 'EUE'
        WHEN 'KR' THEN 'KRJ'
        WHEN 'CN' THEN 'CHN'
        WHEN 'TW' THEN 'THM'
        ELSE region END,
    updated_at = now()
WHERE region IN ('NA', 'SA', 'EU', 'CIS', 'KR', 'CN', 'TW');

UPDATE setup_drafts SET draft = jsonb_set(draft, '{region}', to_jsonb(CASE draft->>'region'
        WHEN 'NA' THEN 'NAC' WHEN 'SA' THEN 'SAM' WHEN 'EU' THEN 'EUW' WHEN 'CIS' THEN 'EUE'
        WHEN 'KR' THEN 'KRJ' WHEN 'CN' THEN 'CHN' WHEN 'TW' THEN 'THM' END))
WHERE draft->>'region' IN ('NA', 'SA', 'EU', 'CIS', 'KR', 'CN', 'TW');
