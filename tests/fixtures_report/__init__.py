"""Generated inputs for the report tests (nothing is shipped: every file is written into tmp_path)."""
