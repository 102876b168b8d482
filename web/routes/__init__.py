"""One module per page family; each holds an APIRouter named `router`."""
