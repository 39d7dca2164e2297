"""Running the user's script: the child process under the probe (`runner`), and what a run that gives
nothing to judge says instead (`triage`)."""
