"""Manifests: the models (what a manifest may say), loading with positions, checks, formatting
and the JSON schema. Everything here is offline and pure except the loader's file reads."""
