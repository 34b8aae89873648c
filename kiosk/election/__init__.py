"""The election package: model, strict parsing, signing, building and the demo election."""
