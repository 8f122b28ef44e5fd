def test_home_shows_the_congress(client, congress):
    html = client.get("/").get_data(as_text=True)
    assert "Đại hội đại biểu Đảng bộ phường Thanh Xuân" in html


def test_document_page_opens_by_code(client, make_document):
    document = make_document()
    response = client.get(f"/d/{document.code}")
    assert response.status_code == 200
    assert "Báo cáo chính trị" in response.get_data(as_text=True)
