"""Generated documents: the forms (申报表, 简介表, 材料目录, 评审委托函, 证书) as .docx and PDF."""
