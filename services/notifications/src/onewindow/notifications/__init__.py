"""One Window notifications service: bilingual messages and their delivery."""
