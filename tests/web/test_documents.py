"""The platform sheet comes out of the running app as a real PDF with embedded CJK fonts."""

from __future__ import annotations

import subprocess


async def test_platform_information_pdf(client, platform, tmp_path) -> None:
    response = await client.get("/platform-information.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    path = tmp_path / "sheet.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "平台信息" in text
    assert platform.keys.key_id in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line.replace("-", "")]
    assert cjk and all(" yes " in line for line in cjk)
