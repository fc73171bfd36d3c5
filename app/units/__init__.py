"""Units: registration, the tree, top-down creation, permission applications and staff.

Importing the package tells accounts (below) how to name the units a user's roles point at."""

from app.accounts import router as _accounts_router
from app.units.service import unit_names

_accounts_router.name_units_with(unit_names)
