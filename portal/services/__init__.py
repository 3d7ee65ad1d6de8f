"""The product's rules. Every view, API handler and CLI command goes through these functions."""
