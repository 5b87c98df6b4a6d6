"""Rasa input channels of the assistant beyond REST: the WeChat official account (`bot.channels.wechat`)."""
