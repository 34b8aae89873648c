"""The demo: a whole election on this machine in one command (``isoloir demo``, ``make demo``).

``layout`` says where each part goes in the demo folder; ``build`` makes the demo election, its
trustees' key ceremony, the sealed package naming a local server, and ready kiosk stores;
``accounts`` and ``operators`` are the demo operators, who open and close the polls through the
admin core; ``local_server`` runs ``isoloir server run`` as a child process and the other
``isoloir server`` commands as its operator would; ``online`` links a kiosk to that server as
the kiosk window does; ``tally`` exports the record, decrypts, combines and verifies;
``voters`` and ``scripted`` take scripted voters through the kiosks' voting sessions and compare
the results with their choices.
"""
