from conftest import EXAMPLE, run_cli


def test_example_checks_clean():
    result = run_cli("check", EXAMPLE)
    assert result.code == 0, result.out + result.err
    assert "没有发现问题" in result.out
