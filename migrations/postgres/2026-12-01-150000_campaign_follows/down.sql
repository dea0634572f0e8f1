ALTER TABLE follows DROP COLUMN by_campaign;
