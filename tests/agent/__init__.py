"""Tests for the conversation layer."""
