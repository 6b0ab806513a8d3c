"""Search: the Whoosh index, the durable index queue, search and related cases."""
