"""职称申报评审服务 (professional-title declaration and review)."""
