// BulwarkSupplyChain — see ARCHITECTURE.md for this module's place in the house.
