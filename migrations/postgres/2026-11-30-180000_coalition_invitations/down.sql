DROP TABLE coalition_invitations;
