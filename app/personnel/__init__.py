"""A unit's professional-technical staff (人员信息), their appointments to post levels (聘任) and the
approved post structure each unit is held to (岗位结构比例)."""
