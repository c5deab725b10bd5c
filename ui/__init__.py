"""The only layer that imports both streamlit and core: cached loaders, URL state, shared widgets."""
