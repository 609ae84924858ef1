"""What the gateway's operators' console and the `onewindow` command share.

Reading the bus as an observer (`reading`), showing its records the same way in both
(`decoding`), naming dead letters and what an operator did with them (`deadletters`),
and the gateway's bearer tokens as a client makes them (`tokens`). Neither the console
nor the command owns these: both import them from here, so the command line imports no
service's code.
"""
