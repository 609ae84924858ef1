"""`make chaos`: faults injected into a One Window stack of its own while applications
flow through the public API, and every case checked from outside afterwards."""
