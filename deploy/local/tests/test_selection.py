import pytest

from onewindow.devstack.selection import HalfConfigured, Source, choose

BOTH = {"KAFKA_BOOTSTRAP_SERVERS": "k:9092", "MONGODB_URL": "mongodb://m/"}


@pytest.mark.parametrize(
    ("env", "docker", "expected"),
    [
        (BOTH, True, Source.ENVIRONMENT),
        (BOTH, False, Source.ENVIRONMENT),
        ({}, True, Source.TESTCONTAINERS),
        ({}, False, Source.LOCAL),
        ({"KAFKA_BOOTSTRAP_SERVERS": "", "MONGODB_URL": ""}, False, Source.LOCAL),
    ],
)
def test_urls_win_then_docker_then_the_local_stack(
    env: dict[str, str], docker: bool, expected: Source
) -> None:
    assert choose(env, lambda: docker) is expected


def test_docker_is_not_asked_when_urls_are_set() -> None:
    def docker() -> bool:
        raise AssertionError("docker must not be probed")

    assert choose(BOTH, docker) is Source.ENVIRONMENT


@pytest.mark.parametrize("only", ["KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URL"])
def test_one_url_without_the_other_is_an_error(only: str) -> None:
    with pytest.raises(HalfConfigured):
        choose({only: BOTH[only]}, lambda: False)
