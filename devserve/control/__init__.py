"""The control plane: the dashboard and control API (server), the CLI's client (client)."""
