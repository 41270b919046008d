"""The browser dashboard (Solara): policies side by side, a seller's circle, sweeps."""
