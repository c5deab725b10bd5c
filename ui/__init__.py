"""The only layer importing both streamlit and core: cached loaders, URL state, shared widgets."""
