from onewindow.contracts.topics import DEFAULT_PARTITIONS, REGISTRY, all_topic_names


def test_every_topic_has_a_dead_letter_twin() -> None:
    names = set(all_topic_names())
    for topic in REGISTRY:
        assert topic.name + ".dlq" in names


def test_topics_have_at_least_six_partitions_and_unique_names() -> None:
    assert all(t.partitions >= DEFAULT_PARTITIONS for t in REGISTRY)
    assert len({t.name for t in REGISTRY}) == len(REGISTRY)


def test_every_topic_has_a_writer_and_a_reader() -> None:
    for topic in REGISTRY:
        assert topic.writers, topic.name
        assert topic.readers, topic.name
