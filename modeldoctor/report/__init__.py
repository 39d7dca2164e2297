"""Reports: what the user reads (terminal, JSON, Markdown, HTML, SARIF)."""
