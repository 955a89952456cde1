package main

// configureChinaAndProduct gives the China and product flows every setting
// they need (values of the right shape; nothing is reached).
func configureChinaAndProduct(values map[string]string) {
	for k, v := range map[string]string{
		"JACKYUN_URL": "https://jackyun.example/router/qm", "JACKYUN_APP_KEY": "app", "JACKYUN_APP_SECRET": "s3cret-jackyun",
		"CHINA_OMS_BASE_URL": "https://oms.example", "CHINA_OMS_API_TOKEN": "tok-china",
		"ARENA_EMAIL": "integration@example.com", "ARENA_PASSWORD": "pw-arena", "ARENA_WORKSPACE_ID": "898765432",
		"PRODUCT_OMS_BASE_URL": "https://oms.example", "PRODUCT_OMS_API_TOKEN": "tok-product",
		"PRODUCT_PRINTSTATION_BASE_URL": "https://printstation.example", "PRODUCT_PRINTSTATION_API_KEY": "key-ps",
		"PRODUCT_JACKYUN_URL": "https://jackyun.example/router/qm", "PRODUCT_JACKYUN_APP_KEY": "app", "PRODUCT_JACKYUN_APP_SECRET": "s3cret-jackyun",
	} {
		values[k] = v
	}
}
