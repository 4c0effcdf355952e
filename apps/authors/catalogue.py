"""The authors this service knows (static data: the service's job is to be called)."""

AUTHORS: dict[int, dict[str, object]] = {
    1: {"name": "Grace Hopper", "born": 1906, "field": "compilers", "bio": "Built the first compiler and championed COBOL."},
    2: {"name": "Edsger W. Dijkstra", "born": 1930, "field": "algorithms", "bio": "Shortest paths, semaphores and structured programming."},
    3: {"name": "Donald Knuth", "born": 1938, "field": "algorithms", "bio": "Author of The Art of Computer Programming and TeX."},
    4: {"name": "Leslie Lamport", "born": 1941, "field": "distributed systems", "bio": "Logical clocks, Paxos and LaTeX."},
    5: {"name": "Barbara Liskov", "born": 1939, "field": "programming languages", "bio": "Data abstraction and the substitution principle."},
    6: {"name": "Margaret Hamilton", "born": 1936, "field": "software engineering", "bio": "Led the Apollo flight software team."},
}
