"""The web side (aiohttp): customer web chat at / and the hotline agent console at /agent."""
