"""Reading the files users write: the one YAML reader (``reader``), TTM, criteria and notes (``datafiles``), bank
holidays (``calendar``). Every error names the file, line and field."""
