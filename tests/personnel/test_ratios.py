"""The post-structure arithmetic, pure: no database."""

from app.personnel.enums import PostLevel as L
from app.personnel.ratios import Quota, apportion, figures, over_quota


def test_apportion_keeps_the_total():
    assert apportion(50, (1, 3, 6)) == [5, 15, 30]
    assert apportion(7, (1, 3, 6)) == [1, 2, 4]          # 0.7, 2.1, 4.2 → largest remainders first
    assert sum(apportion(101, (2, 5, 3))) == 101


def test_figures_count_appointed_vacant_and_titled_without_post():
    quota = Quota(counts={L.full_senior: 1, L.deputy_senior: 2, L.intermediate: 3, L.junior: 4})
    people = [(L.deputy_senior, L.deputy_senior), (L.deputy_senior, L.intermediate), (L.intermediate, None),
              (L.junior, L.junior)]
    lines = {f.label: f for f in figures(quota, people)}
    assert (lines["副高级"].approved, lines["副高级"].appointed, lines["副高级"].vacant,
            lines["副高级"].titled_not_appointed) == (2, 1, 1, 1)
    assert (lines["中级"].appointed, lines["中级"].vacant, lines["中级"].titled_not_appointed) == (1, 2, 1)
    assert lines["正高级"].vacant == 1


def test_a_ratio_groups_senior_posts():
    quota = Quota(ratio=(1, 3, 6), total=10)
    lines = figures(quota, [(L.full_senior, L.full_senior)])
    assert [(f.label, f.approved, f.appointed, f.vacant) for f in lines] == [
        ("高级", 1, 1, 0), ("中级", 3, 0, 3), ("初级", 6, 0, 6)]
    assert over_quota(quota, {L.full_senior: 1}, L.deputy_senior) == ("高级", 1, 2)
    assert over_quota(quota, {L.full_senior: 1}, L.intermediate) is None


def test_no_quota_refuses_nothing_and_shows_no_vacancy():
    assert over_quota(None, {L.junior: 99}, L.junior) is None
    assert all(f.approved is None and f.vacant is None for f in figures(None, []))
