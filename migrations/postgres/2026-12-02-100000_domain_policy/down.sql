DROP TABLE org_follow_policies;
DROP TABLE domain_allows;
DROP TABLE domain_blocks;
