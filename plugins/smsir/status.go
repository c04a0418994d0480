package smsir

import "github.com/chelseru/chelseru/sdk/abi"

// statusInfo is one row of SMS.ir's table of status codes.
type statusInfo struct {
	class string // an abi.Class* value
	text  string // SMS.ir's documented meaning (used when the answer has no message)
}

// statuses is SMS.ir's table of the "status" member of its answers (REST
// v1, app.sms.ir/developer/help, "کدهای وضعیت"), each mapped onto an error
// class. 1 is success and is not listed. A status not in the table is
// permanent.
var statuses = map[int]statusInfo{
	0:   {abi.ClassTemporary, "مشکلی در سامانه رخ داده است، لطفا با پشتیبانی در تماس باشید"},
	10:  {abi.ClassBadCredentials, "کلید وب سرویس نامعتبر است"},
	11:  {abi.ClassBadCredentials, "کلید وب سرویس غیرفعال است"},
	12:  {abi.ClassBadCredentials, "کلید وب سرویس محدود به IP های تعریف شده می‌باشد"},
	13:  {abi.ClassBadCredentials, "حساب کاربری غیر فعال است"},
	14:  {abi.ClassBadCredentials, "حساب کاربری در حالت تعلیق قرار دارد"},
	15:  {abi.ClassPermanent, "به منظور استفاده از وب سرویس پلن خود را ارتقا دهید"},
	16:  {abi.ClassBadRequest, "مقدار ارسالی پارامتر نادرست می‌باشد"},
	20:  {abi.ClassRateLimited, "تعداد درخواست بیشتر از حد مجاز است"},
	101: {abi.ClassBadRequest, "شماره خط نامعتبر می‌باشد"},
	102: {abi.ClassOutOfCredit, "اعتبار کافی نمی‌باشد"},
	103: {abi.ClassBadRequest, "درخواست شما دارای متن(های) خالی است"},
	104: {abi.ClassBadRequest, "درخواست شما دارای موبایل(های) نادرست است"},
	105: {abi.ClassBadRequest, "تعداد موبایل ها بیشتر از حد مجاز (100 عدد) می‌باشد"},
	106: {abi.ClassBadRequest, "تعداد متن ها بیشتر از حد مجاز (100 عدد) می‌باشد"},
	107: {abi.ClassBadRequest, "لیست موبایل ها خالی می‌باشد"},
	108: {abi.ClassBadRequest, "لیست متن ها خالی می‌باشد"},
	109: {abi.ClassBadRequest, "زمان ارسال نامعتبر می‌باشد"},
	110: {abi.ClassBadRequest, "تعداد شماره موبایل ها و تعداد متن ها برابر نیستند"},
	111: {abi.ClassPermanent, "با این شناسه ارسالی ثبت نشده است"},
	112: {abi.ClassPermanent, "رکوردی برای حذف یافت نشد"},
	113: {abi.ClassBadRequest, "قالب یافت نشد"},
	114: {abi.ClassBadRequest, "طول رشته مقدار پارامتر، بیش از حد مجاز (25 کاراکتر) می‌باشد"},
	115: {abi.ClassPermanent, "شماره موبایل(ها) در لیست سیاه سامانه می‌باشند"},
	116: {abi.ClassBadRequest, "نام یک یا چند پارامتر مقداردهی نشده‌است"},
	117: {abi.ClassBadRequest, "متن ارسال شده مورد تایید نمی‌باشد"},
	118: {abi.ClassBadRequest, "تعداد پیام ها بیش از حد مجاز می باشد"},
	119: {abi.ClassPermanent, "به منظور استفاده از قالب‌ شخصی سازی شده پلن خود را ارتقا دهید"},
	123: {abi.ClassPermanent, "خط ارسال‌کننده نیاز به فعال‌سازی دارد"},
}

// classify returns the class and documented text of an SMS.ir status.
func classify(status int) (class, text string) {
	if s, ok := statuses[status]; ok {
		return s.class, s.text
	}
	return abi.ClassPermanent, ""
}

// classifyHTTP classes an HTTP status that came without SMS.ir's envelope.
func classifyHTTP(status int) string {
	switch {
	case status == 401 || status == 403:
		return abi.ClassBadCredentials
	case status == 429:
		return abi.ClassRateLimited
	case status == 400 || status == 404 || status == 405 || status == 415 || status == 422:
		return abi.ClassBadRequest
	case status >= 500 && status <= 599, status == 408:
		return abi.ClassTemporary
	case status >= 200 && status <= 299:
		return abi.ClassTemporary // a success status without a readable answer
	}
	return abi.ClassPermanent
}
