"""Test helpers shared by every test folder: peers, waiting, configs, event streams."""
