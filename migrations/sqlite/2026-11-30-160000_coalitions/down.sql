DROP TABLE coalition_members;
DROP TABLE coalitions;
