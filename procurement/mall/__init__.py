"""The mall (电子卖场): catalogue, price control, supplier sanctions and search."""
