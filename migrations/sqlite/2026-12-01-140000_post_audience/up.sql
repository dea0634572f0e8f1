-- FEP-1b12 `audience` (issue 14 item 1): the coalition (a Group's ap id) a
-- post was addressed to, explicitly (`kuvend admin post --coalition`, the
-- API's `audience`) or, for a remote post, the first http(s) `audience` it
-- carried. NULL for every other post, so existing rows stay as they are.
ALTER TABLE posts ADD COLUMN audience TEXT;
