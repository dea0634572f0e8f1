DROP TABLE invitation_polls;
