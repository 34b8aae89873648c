"""The kiosk's side of the central server: signed requests and the HTTP client (docs/server.md).

``signing`` is the request-signature format, shared with the server (which imports it; this
package never imports the server). ``client`` talks to the server over HTTPS with httpx.
"""
