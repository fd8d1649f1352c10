"""The HTML fragments the dashboard renders in Python (creators.presenters): escaped values, the template's markup."""

from __future__ import annotations

from django.http import QueryDict

from creators.presenters import Column, IndexCard, index_cards_html, index_ranges_html


def test_index_ranges_carry_the_requests_values_escaped_and_label_every_input():
    html = index_ranges_html(QueryDict('volume_min=50&care_max="><script>'), [Column("volume", "Volume"),
                                                                             Column("care", "Care")])
    assert html.count("<fieldset>") == 2 and html.count("<input") == 4
    assert '<legend>Volume</legend>' in html
    assert 'name="volume_min" id="id_volume_min" min="0" max="100" step="any" placeholder="min" value="50"' in html
    assert 'name="volume_max" id="id_volume_max" min="0" max="100" step="any" placeholder="max" value=""' in html
    assert 'value="&quot;&gt;&lt;script&gt;"' in html and "<script>" not in html
    assert '<label class="visually-hidden" for="id_care_max">Care at most</label>' in html


def test_index_cards_show_value_confidence_and_evidence_escaped():
    cards = [
        IndexCard(name="volume", label="Volume", help="Videos <per> week", value=42.26, confidence="high",
                  reference_label="all creators", reference_n=12345, reference_median=0.5, raw=1.23456,
                  metrics=[("engagement_rate", "Engagement rate", 0.0812)]),
        IndexCard(name="sales", label="Sales", help="", value=None, confidence=None),
    ]
    html = index_cards_html(cards)
    assert '<article class="index-card" id="index-volume">' in html
    assert '<div class="value">42.3</div>' in html and 'style="width: 42.3%"' in html
    assert '<span class="conf conf-high" title="Confidence from the sample size">high</span>' in html
    assert "Videos &lt;per&gt; week" in html
    assert '<td class="num">all creators (12,345)</td>' in html
    assert '<tr><td>Raw score</td><td class="num">1.23</td></tr>' in html
    assert '<tr><td>Engagement rate</td><td class="num">8.1%</td></tr>' in html
    sales = html[html.index('id="index-sales"'):]
    assert '<span class="na">–</span>' in sales and "Insufficient data for this index." in sales
    assert "Compared with" not in sales and "conf-" not in sales


def test_a_null_index_without_signal_says_so_and_has_no_confidence_badge():
    card = IndexCard(name="care", label="Care", help="", value=None, confidence=None, raw=0.0, reason="no_signal",
                     reference_label="all creators", reference_n=250, reference_median=0.0)
    html = index_cards_html([card])
    assert '<div class="value"><span class="na no-signal">No signal</span></div>' in html
    assert "No signal in this run&#x27;s data: every creator of the reference group has the same raw score" in html
    assert "Insufficient data" not in html and "conf-" not in html
