"""The model's yardsticks with hand-checkable numbers: forward splits, metrics, log5."""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from mlb_pipeline.model import ModelInputError, baselines, forward_split, log5, metrics


def games(per_day: list[int]) -> pd.DataFrame:
    rows = []
    for n, count in enumerate(per_day):
        rows += [{"game_date": dt.date(2024, 5, 1) + dt.timedelta(days=n), "home_win": i % 2 == 0}
                 for i in range(count)]
    return pd.DataFrame(rows)


def test_forward_split_holds_out_whole_later_dates():
    frame = games([3, 3, 3, 3, 3])  # 15 games on 5 dates
    train, test, cutoff = forward_split(frame, 0.2)
    assert cutoff == dt.date(2024, 5, 5) and len(test) == 3 and len(train) == 12
    assert train["game_date"].max() < test["game_date"].min()
    train, test, cutoff = forward_split(frame, 0.45)  # 6 games fit, 9 would not
    assert cutoff == dt.date(2024, 5, 4) and len(test) == 6
    with pytest.raises(ModelInputError, match="at least two dates"):
        forward_split(games([4]), 0.2)


def test_metrics_of_a_coin_and_of_a_sure_thing():
    coin = metrics([0.5] * 4, [1, 0, 1, 1])
    assert coin["brier"] == 0.25 and math.isclose(coin["log_loss"], math.log(2))
    assert coin["accuracy"] == 0.75  # 0.5 counts as predicting the home club
    sure = metrics([0.9, 0.9, 0.1, 0.1], [1, 1, 0, 1])
    assert math.isclose(sure["brier"], (0.01 + 0.01 + 0.01 + 0.81) / 4) and sure["accuracy"] == 0.75
    assert [(c["bin"], c["games"], c["observed"]) for c in sure["calibration"]] == [("0.1-0.2", 2, 0.5),
                                                                                    ("0.9-1.0", 2, 1.0)]
    with pytest.raises(ModelInputError):
        metrics([0.5, 1.2], [1, 0])


def test_log5():
    assert math.isclose(log5(0.5, 0.5, 0.5), 0.5)
    assert math.isclose(log5(0.5, 0.5, 0.54), 0.54)  # equal clubs: just the home edge
    assert math.isclose(log5(0.6, 0.4, 0.5), 0.36 / (0.36 + 0.16))  # James' 0.692
    assert log5(0.4, 0.6, 0.54) < 0.5 < log5(0.6, 0.4, 0.54)


def test_baselines_score_the_same_test_games():
    train = pd.DataFrame({"home_win": [True, True, True, False]})
    test = pd.DataFrame({"home_win": [True, False], "home_season_win_pct": [0.6, None],
                         "away_season_win_pct": [0.4, 0.5]})
    out = baselines(train, test)
    assert out["always_home"]["games"] == out["log5"]["games"] == 2
    assert math.isclose(out["always_home"]["brier"], ((0.75 - 1) ** 2 + 0.75 ** 2) / 2)
    p = [float(log5(0.6, 0.4, 0.54)), 0.54]  # an unknown win rate counts as 0.5
    assert math.isclose(out["log5"]["brier"], ((p[0] - 1) ** 2 + p[1] ** 2) / 2)
