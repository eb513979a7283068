"""Registering industrial property in Vietnam: what each right is and what to prepare.

Facts follow the Law on Intellectual Property (Luật Sở hữu trí tuệ 2005, amended 2009, 2019, 2022);
applications go to Cục Sở hữu trí tuệ (Bộ Khoa học và Công nghệ). Fees change by circular, so the
answers name the fee rule, not amounts.
"""

from __future__ import annotations

from handlers.knowledge.base import Topic

_WHERE_IPVN = (
    "Cục Sở hữu trí tuệ (Bộ Khoa học và Công nghệ): nộp trực tuyến qua Cổng dịch vụ công của Cục, "
    "hoặc nộp trực tiếp/qua bưu điện tại trụ sở ở Hà Nội và văn phòng đại diện tại TP. Hồ Chí Minh, "
    "Đà Nẵng. Anh/chị có thể tự nộp hoặc ủy quyền cho tổ chức dịch vụ đại diện sở hữu công nghiệp."
)
_FEES = (
    "Phí, lệ phí theo biểu phí hiện hành của Bộ Tài chính, tính theo số nhóm/số sản phẩm, dịch vụ "
    "hoặc số điểm yêu cầu bảo hộ; anh/chị nên kiểm tra biểu phí mới nhất trên trang của Cục."
)

TRADEMARK = Topic(
    id="tm",
    title="Đăng ký nhãn hiệu",
    keywords=("nhãn hiệu", "thương hiệu", "logo", "nhãn mác", "tên thương mại", "bảo hộ tên",
              "đăng ký tên sản phẩm", "trademark"),
    summary=(
        "Nhãn hiệu là dấu hiệu (chữ, hình hoặc kết hợp, có thể kèm màu sắc) giúp phân biệt hàng "
        "hóa, dịch vụ của anh/chị với của người khác. Quyền với nhãn hiệu phát sinh khi được Cục "
        "Sở hữu trí tuệ cấp Giấy chứng nhận đăng ký nhãn hiệu, theo nguyên tắc nộp đơn đầu tiên "
        "(nhãn hiệu trùng hoặc tương tự thì đơn nộp sớm hơn được ưu tiên), vì vậy nên nộp đơn "
        "sớm. Giấy chứng nhận có hiệu lực 10 năm từ ngày nộp đơn "
        "và được gia hạn nhiều lần, mỗi lần 10 năm."
    ),
    prepare=(
        "Tờ khai đăng ký nhãn hiệu (theo mẫu của Cục)",
        "Mẫu nhãn hiệu rõ nét, đúng màu nếu muốn bảo hộ cả màu sắc",
        "Danh mục hàng hóa, dịch vụ mang nhãn hiệu, xếp nhóm theo Bảng phân loại Nice",
        "Thông tin chủ đơn: tên, địa chỉ, mã số doanh nghiệp (hoặc giấy tờ cá nhân)",
        "Chứng từ nộp phí, lệ phí; giấy ủy quyền nếu nộp qua đại diện",
    ),
    where=_WHERE_IPVN,
    note=(
        "Nên tra cứu trước các nhãn hiệu trùng hoặc tương tự trên cơ sở dữ liệu sở hữu công nghiệp "
        "của Cục. Đơn qua thẩm định hình thức, công bố, thẩm định nội dung; trên thực tế thường mất "
        "từ một năm trở lên. " + _FEES
    ),
    button="Nhãn hiệu",
)

COLLECTIVE_MARK = Topic(
    id="ctm",
    title="Đăng ký nhãn hiệu tập thể",
    keywords=("nhãn hiệu tập thể", "nhãn hiệu của hợp tác xã", "nhãn hiệu hợp tác xã",
              "nhãn hiệu của hội", "nhãn hiệu làng nghề", "nhãn hiệu cho hội viên"),
    summary=(
        "Nhãn hiệu tập thể giúp phân biệt hàng hóa, dịch vụ của thành viên một tổ chức tập thể "
        "(hợp tác xã, hội, hiệp hội) với của người không phải thành viên. Chủ đơn là tổ chức tập thể "
        "được thành lập hợp pháp; các thành viên dùng nhãn hiệu theo quy chế chung. Hiệu lực như "
        "nhãn hiệu thông thường: 10 năm, gia hạn được."
    ),
    prepare=(
        "Tờ khai, mẫu nhãn hiệu, danh mục hàng hóa, dịch vụ (như nhãn hiệu thông thường)",
        "Quy chế sử dụng nhãn hiệu tập thể: điều kiện trở thành thành viên, điều kiện sử dụng, "
        "cách kiểm soát và xử lý vi phạm",
        "Nếu nhãn hiệu mang địa danh hoặc dấu hiệu chỉ nguồn gốc của đặc sản địa phương: văn bản "
        "cho phép của Ủy ban nhân dân tỉnh và bản đồ khu vực địa lý",
        "Nếu sản phẩm có tính chất, chất lượng đặc thù: bản thuyết minh về tính chất, chất lượng đó",
        "Quyết định thành lập hoặc giấy đăng ký của tổ chức tập thể; chứng từ phí, lệ phí",
    ),
    where=_WHERE_IPVN + " Với đặc sản địa phương, nên làm việc trước với Sở KH&CN tỉnh.",
    note="Quy chế sử dụng là phần hay bị yêu cầu sửa nhất, nên chuẩn bị kỹ. " + _FEES,
    button="Nhãn hiệu tập thể",
)

CERTIFICATION_MARK = Topic(
    id="cm",
    title="Đăng ký nhãn hiệu chứng nhận",
    keywords=("nhãn hiệu chứng nhận", "chứng nhận nguồn gốc", "nhãn hiệu chứng nhận chất lượng",
              "chứng nhận đặc sản"),
    summary=(
        "Nhãn hiệu chứng nhận do chủ sở hữu cho phép tổ chức, cá nhân khác dùng trên sản phẩm của "
        "họ để chứng nhận xuất xứ, nguyên liệu, cách thức sản xuất, chất lượng hoặc đặc tính khác. "
        "Chủ sở hữu là tổ chức có chức năng kiểm soát, chứng nhận và không tự sản xuất, kinh doanh "
        "sản phẩm đó (ở địa phương thường là cơ quan nhà nước được tỉnh giao)."
    ),
    prepare=(
        "Tờ khai, mẫu nhãn hiệu, danh mục hàng hóa, dịch vụ",
        "Quy chế sử dụng nhãn hiệu chứng nhận: ai được dùng, điều kiện, đặc tính được chứng nhận, "
        "phương pháp đánh giá và kiểm soát",
        "Bản thuyết minh về tính chất, chất lượng đặc thù của sản phẩm (nếu có)",
        "Nếu mang địa danh hoặc chỉ nguồn gốc của đặc sản địa phương: văn bản cho phép của Ủy ban "
        "nhân dân tỉnh và bản đồ khu vực địa lý",
        "Chứng từ nộp phí, lệ phí",
    ),
    where=_WHERE_IPVN + " Doanh nghiệp muốn được dùng một nhãn hiệu chứng nhận đã có thì liên hệ "
    "chủ sở hữu nhãn hiệu đó (thường qua Sở KH&CN hoặc Sở Nông nghiệp tỉnh).",
    note=_FEES,
    button="Nhãn hiệu chứng nhận",
)

GEOGRAPHICAL_INDICATION = Topic(
    id="gi",
    title="Chỉ dẫn địa lý",
    keywords=("chỉ dẫn địa lý", "cddl", "cdđl", "chi dan dia ly", "xuất xứ địa lý",
              "tên gọi xuất xứ", "đặc sản vùng"),
    summary=(
        "Chỉ dẫn địa lý dùng cho sản phẩm có nguồn gốc từ một vùng cụ thể, có danh tiếng, chất lượng "
        "hoặc đặc tính chủ yếu do điều kiện địa lý của vùng đó quyết định (ví dụ: vải thiều Lục Ngạn, "
        "nước mắm Phú Quốc). Quyền đăng ký thuộc Nhà nước; Nhà nước cho phép tổ chức, cá nhân sản "
        "xuất sản phẩm đó, tổ chức tập thể đại diện cho họ hoặc cơ quan quản lý hành chính địa "
        "phương thực hiện việc đăng ký. Văn bằng có hiệu lực vô thời hạn."
    ),
    prepare=(
        "Tờ khai đăng ký chỉ dẫn địa lý",
        "Bản mô tả tính chất, chất lượng đặc thù hoặc danh tiếng của sản phẩm, và mối liên hệ với "
        "điều kiện tự nhiên, con người của vùng (kèm kết quả khảo sát, phân tích)",
        "Bản đồ khu vực địa lý tương ứng với chỉ dẫn địa lý",
        "Văn bản cho phép thực hiện quyền đăng ký (của cơ quan có thẩm quyền)",
        "Chứng từ nộp phí, lệ phí",
    ),
    where=(
        "Đơn nộp tại Cục Sở hữu trí tuệ, thường do Ủy ban nhân dân tỉnh giao Sở KH&CN hoặc một tổ "
        "chức tập thể chuẩn bị và đứng đơn. Doanh nghiệp đang sản xuất trong vùng đã có chỉ dẫn "
        "địa lý thì hỏi Sở KH&CN về thủ tục được sử dụng chỉ dẫn địa lý đó."
    ),
    note=(
        "Hồ sơ cần khảo sát, phân tích mẫu nên thường mất nhiều tháng chuẩn bị; Chương trình phát "
        "triển tài sản trí tuệ đến năm 2030 và chương trình của nhiều tỉnh có hỗ trợ việc này."
    ),
    button="Chỉ dẫn địa lý",
)

PATENT = Topic(
    id="pat",
    title="Sáng chế và giải pháp hữu ích",
    keywords=("sáng chế", "bằng sáng chế", "giải pháp hữu ích", "patent", "bằng độc quyền",
              "quy trình công nghệ mới", "phát minh"),
    summary=(
        "Sáng chế là giải pháp kỹ thuật (sản phẩm hoặc quy trình). Bằng độc quyền sáng chế đòi hỏi "
        "tính mới, trình độ sáng tạo và khả năng áp dụng công nghiệp, hiệu lực 20 năm từ ngày nộp "
        "đơn. Nếu giải pháp chưa đủ trình độ sáng tạo nhưng không phải hiểu biết thông thường, có "
        "thể đăng ký Bằng độc quyền giải pháp hữu ích, hiệu lực 10 năm."
    ),
    prepare=(
        "Tờ khai đăng ký sáng chế/giải pháp hữu ích",
        "Bản mô tả: lĩnh vực, tình trạng kỹ thuật, bản chất giải pháp, hình vẽ (nếu có) và phạm vi "
        "(yêu cầu) bảo hộ",
        "Bản tóm tắt sáng chế",
        "Thông tin tác giả, chủ đơn; tài liệu hưởng quyền ưu tiên (nếu có)",
        "Chứng từ nộp phí, lệ phí",
    ),
    where=_WHERE_IPVN,
    note=(
        "Đừng công bố, bán hoặc trưng bày giải pháp trước khi nộp đơn vì có thể mất tính mới. Yêu "
        "cầu thẩm định nội dung phải nộp riêng, trong 42 tháng (sáng chế) hoặc 36 tháng (giải pháp "
        "hữu ích) kể từ ngày ưu tiên. " + _FEES
    ),
    button="Sáng chế",
)

DESIGN = Topic(
    id="des",
    title="Kiểu dáng công nghiệp",
    keywords=("kiểu dáng công nghiệp", "kiểu dáng", "mẫu mã", "hình dáng sản phẩm",
              "kiểu dáng bao bì", "thiết kế bao bì", "hình dáng", "mẫu mã bao bì"),
    summary=(
        "Kiểu dáng công nghiệp là hình dáng bên ngoài của sản phẩm (đường nét, hình khối, màu sắc), "
        "ví dụ chai, hộp, bao bì, đồ gỗ. Điều kiện: có tính mới, tính sáng tạo và áp dụng được "
        "trong công nghiệp. Bằng có hiệu lực 5 năm từ ngày nộp đơn, gia hạn được 2 lần, mỗi lần 5 năm."
    ),
    prepare=(
        "Tờ khai đăng ký kiểu dáng công nghiệp",
        "Bộ ảnh chụp hoặc bản vẽ thể hiện đầy đủ các mặt của sản phẩm",
        "Bản mô tả kiểu dáng công nghiệp",
        "Chứng từ nộp phí, lệ phí; giấy ủy quyền nếu nộp qua đại diện",
    ),
    where=_WHERE_IPVN,
    note="Nên nộp đơn trước khi tung sản phẩm ra thị trường. " + _FEES,
    button="Kiểu dáng",
)

COPYRIGHT = Topic(
    id="cr",
    title="Quyền tác giả (bản quyền), kể cả phần mềm",
    keywords=("bản quyền", "quyền tác giả", "bản quyền phần mềm", "tác phẩm", "copyright"),
    summary=(
        "Quyền tác giả phát sinh khi tác phẩm được sáng tạo và thể hiện dưới một hình thức nhất "
        "định, không bắt buộc đăng ký; chương trình máy tính (phần mềm) được bảo hộ như tác phẩm. "
        "Đăng ký giúp có bằng chứng khi xảy ra tranh chấp. Lưu ý: tên, logo của sản phẩm phần mềm "
        "cần đăng ký nhãn hiệu riêng."
    ),
    prepare=(
        "Tờ khai đăng ký quyền tác giả",
        "Bản sao tác phẩm (với phần mềm: bản mô tả và một phần mã nguồn theo hướng dẫn)",
        "Giấy tờ chứng minh quyền nộp đơn nếu người nộp không phải là tác giả (hợp đồng, quyết "
        "định giao việc); giấy ủy quyền nếu nộp qua đại diện",
    ),
    where="Cục Bản quyền tác giả (Bộ Văn hóa, Thể thao và Du lịch), không phải Cục Sở hữu trí tuệ.",
    button="Quyền tác giả",
)

IP_TOPICS: tuple[Topic, ...] = (
    TRADEMARK, COLLECTIVE_MARK, CERTIFICATION_MARK, GEOGRAPHICAL_INDICATION, PATENT, DESIGN,
    COPYRIGHT,
)

IP_OVERVIEW = (
    "Trung tâm có thể hướng dẫn anh/chị về các loại đăng ký sở hữu công nghiệp tại Cục Sở hữu trí "
    "tuệ (Bộ KH&CN): nhãn hiệu, nhãn hiệu tập thể, nhãn hiệu chứng nhận, chỉ dẫn địa lý, sáng chế/"
    "giải pháp hữu ích và kiểu dáng công nghiệp; và về đăng ký quyền tác giả (bản quyền) tại Cục "
    "Bản quyền tác giả. Anh/chị quan tâm loại nào ạ?"
)
