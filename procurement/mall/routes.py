"""The mall catalogue's route handlers, listed once for the app factory."""

from __future__ import annotations

from procurement.mall.controllers import (
    MallCatalogueController,
    MallOversightController,
    MallSupplierController,
)
from procurement.mall.pages import MallOperatorPages, MallPublicPages, MallSupplierPages

CATALOGUE_HANDLERS = (
    MallCatalogueController, MallSupplierController, MallOversightController, MallPublicPages, MallSupplierPages, MallOperatorPages,
)
