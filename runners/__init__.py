"""Runners: browser and email submission, mailbox collection, scheduling."""
