DROP TABLE account_blocks;
