"""Units: registration, the tree, top-down creation, permission applications and staff."""
