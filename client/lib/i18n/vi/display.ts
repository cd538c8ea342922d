/** The projector. */
export const display = {
  'display.title': 'Cùng Học — Màn chiếu',
  'display.enterCode': 'Mã lớp để chiếu',
  'display.show': 'Chiếu',
  'display.codeLabel': 'Mã lớp',
  'display.joinAt': 'Vào lớp: quét mã QR hoặc mở',
  'display.qrAlt': 'Mã QR để vào lớp',
  'display.joined': 'Đã vào lớp: {n}',
  'display.done': '{done}/{total} đã xong',
  'display.ended': 'Buổi học đã kết thúc',
};
