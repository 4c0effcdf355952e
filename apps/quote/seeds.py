"""Quotes inserted once, by schema migration 2, so a fresh database shows something."""

SEED_QUOTES: tuple[tuple[str, str], ...] = (
    ("Grace Hopper", "The most dangerous phrase in the language is: we've always done it this way."),
    ("Edsger W. Dijkstra", "Simplicity is prerequisite for reliability."),
    ("Donald Knuth", "Premature optimization is the root of all evil."),
    ("Leslie Lamport", "A distributed system is one in which the failure of a computer you didn't even know existed can render your own computer unusable."),
    ("Fred Brooks", "Adding manpower to a late software project makes it later."),
    ("Alan Kay", "The best way to predict the future is to invent it."),
    ("Ken Thompson", "When in doubt, use brute force."),
    ("Rob Pike", "Data dominates. If you've chosen the right data structures, the algorithms will almost always be self-evident."),
    ("Werner Vogels", "Everything fails, all the time."),
    ("John Gall", "A complex system that works is invariably found to have evolved from a simple system that worked."),
    ("Antoine de Saint-Exupery", "Perfection is achieved not when there is nothing more to add, but when there is nothing left to take away."),
    ("Brian Kernighan", "Debugging is twice as hard as writing the code in the first place."),
    ("Melvin Conway", "Organizations which design systems are constrained to produce designs which are copies of their communication structures."),
    ("Margaret Hamilton", "There was no choice but to be pioneers."),
    ("Linus Torvalds", "Talk is cheap. Show me the code."),
    ("Barbara Liskov", "Modularity based on abstraction is the way things get done."),
)
